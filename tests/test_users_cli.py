"""`battlemap users` and the server's refusal to start in production without a safe secret key."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from battlemap_cli.main import main
from callbacks import server_config
from geodata._errors import ConfigError
from geodata.private.accounts import AccountStore, LoginRefused
from geodata.settings import get_settings
from geodata.store import Store


def users(store: Store, monkeypatch: pytest.MonkeyPatch, *args: str, password: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return main(["--store", store.target, "users", *args])


def test_add_list_disable_reset(
    mini_store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        users(
            mini_store,
            monkeypatch,
            "add",
            "王科长",
            "--role",
            "leader",
            "--township",
            "621121100",
            "--password-stdin",
            password="a long enough one",
        )
        == 0
    )
    assert users(mini_store, monkeypatch, "add", "admin1", "--role", "admin", "--generate") == 0
    generated = capsys.readouterr().out.split("password (shown once): ")[1].strip()
    accounts = AccountStore.beside(mini_store)
    assert accounts.authenticate("admin1", generated, address="t").role == "admin"
    assert users(mini_store, monkeypatch, "list") == 0
    listed = capsys.readouterr().out
    assert "王科长  leader  township 621121100" in listed and "admin1  admin  whole store" in listed
    assert "argon2" not in listed and generated not in listed
    stored = accounts.users()
    assert "password_hash" not in stored

    assert users(mini_store, monkeypatch, "disable", "王科长") == 0
    with pytest.raises(LoginRefused):
        accounts.authenticate("王科长", "a long enough one", address="t")
    assert users(mini_store, monkeypatch, "enable", "王科长") == 0
    assert users(mini_store, monkeypatch, "reset", "王科长", "--password-stdin", password="another long one") == 0
    assert accounts.authenticate("王科长", "another long one", address="t").scope == "621121100"
    actions = list(accounts.audit_log(action="user:")["action"])
    assert actions == ["user:add", "user:add", "user:disable", "user:enable", "user:reset"]
    with accounts._connect() as con:  # only argon2id hashes are stored
        hashes = [r[0] for r in con.execute("SELECT password_hash FROM users")]
    assert all(h.startswith("$argon2id$") for h in hashes)


@pytest.mark.parametrize(
    "case",
    [
        (("add", "x", "--role", "boss", "--password-stdin"), "a long enough one", "invalid choice"),
        (("add", "x", "--role", "leader", "--password-stdin"), "short", "too short"),
        (
            ("add", "x", "--role", "admin", "--township", "621121100", "--password-stdin"),
            "a long enough one",
            "an admin manages the whole store",
        ),
        (
            ("add", "x", "--role", "leader", "--township", "999999999", "--password-stdin"),
            "a long enough one",
            "no such township",
        ),
        (("add", "a b", "--role", "leader", "--password-stdin"), "a long enough one", "without spaces"),
        (("disable", "nobody"), "", "no user 'nobody'"),
    ],
)
def test_bad_user_commands_are_refused(
    mini_store: Store,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[tuple[str, ...], str, str],
) -> None:
    args, password, reason = case
    try:
        status = users(mini_store, monkeypatch, *args, password=password)
    except SystemExit as exc:  # argparse refuses an unknown role itself
        status = int(exc.code or 0)
    assert status == 2
    assert reason in capsys.readouterr().err
    assert not len(AccountStore.beside(mini_store).users())


def test_production_refuses_a_missing_or_weak_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(server_config.KEY_ENV, raising=False)
    monkeypatch.delenv(server_config.KEY_FILE_ENV, raising=False)
    with pytest.raises(ConfigError, match="needs a secret key"):
        server_config.secret_key(production=True)
    assert len(server_config.secret_key(production=False)) >= 32  # development: a random key
    monkeypatch.setenv(server_config.KEY_ENV, "change-me")
    with pytest.raises(ConfigError, match="placeholder or shorter"):
        server_config.secret_key(production=True)
    monkeypatch.delenv(server_config.KEY_ENV)
    inside = server_config.SOURCE_TREE / "battlemap-test-secret.key"
    monkeypatch.setenv(server_config.KEY_FILE_ENV, str(inside))
    with pytest.raises(ConfigError, match="inside the source tree"):
        server_config.secret_key(production=True)
    outside = tmp_path / "secret.key"
    outside.write_text("k" * 48 + "\n", encoding="utf-8")
    monkeypatch.setenv(server_config.KEY_FILE_ENV, str(outside))
    assert server_config.secret_key(production=True) == "k" * 48
    monkeypatch.setenv(server_config.ENV, "production")
    assert server_config.production_mode() is True


def test_serve_production_without_key_exits(
    mini_store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(server_config.KEY_ENV, raising=False)
    monkeypatch.delenv(server_config.KEY_FILE_ENV, raising=False)
    assert main(["--store", str(mini_store.target), "serve", "--production", "--port", "1"]) == 1
    assert "needs a secret key" in capsys.readouterr().err


def test_first_run_creates_one_admin_once(mini_store: Store) -> None:
    from geodata.private.accounts import ensure_first_admin

    password = ensure_first_admin(mini_store)
    assert password and len(password) >= 20
    accounts = AccountStore.beside(mini_store)
    assert accounts.get("admin").role == "admin"
    assert accounts.authenticate("admin", password, address="127.0.0.1").name == "admin"
    assert ensure_first_admin(mini_store) is None  # an account exists: nothing more is created
    assert len(accounts.users()) == 1


def test_parallel_guesses_cannot_pass_the_failure_limit(tmp_path: Path) -> None:
    """Guesses sent at once to every server thread from one address: only the free failures are checked."""
    accounts = AccountStore(tmp_path / "county.private.sqlite")
    accounts.add("guessed", role="leader", password="the right long password", who="tests")
    start = threading.Barrier(12)

    def guess(n: int) -> str:
        start.wait()
        try:
            accounts.authenticate("guessed", f"wrong guess {n}", address="10.0.0.1")
        except LoginRefused as exc:
            return "throttled" if exc.throttled else "checked"
        return "in"

    with ThreadPoolExecutor(12) as pool:
        outcomes = list(pool.map(guess, range(12)))
    free = get_settings().auth.delay_free_failures
    assert outcomes.count("checked") == free and outcomes.count("throttled") == 12 - free
