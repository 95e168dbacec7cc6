"""Masking of personal data (names, resident IDs, phones) for every place that shows them."""

from __future__ import annotations


def mask_name(name: str | None) -> str | None:
    """张三明 → 张*明, 张三 → 张*, single characters unchanged."""
    if not name:
        return name
    if len(name) <= 2:
        return name[0] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id(value: str | None) -> str | None:
    """610424199001011234 → 6104**********1234 (first 4 and last 4 kept)."""
    if not value:
        return value
    keep = 4 if len(value) > 8 else 1
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def mask_phone(value: str | None) -> str | None:
    """13812345678 → 138****5678."""
    if not value:
        return value
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


MASKERS = {
    "head_name": mask_name,
    "id_number": mask_id,
    "phone": mask_phone,
    "leader": mask_name,
    "person": mask_name,  # 一村一策 责任人
}
