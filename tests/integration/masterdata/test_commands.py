"""`stroom masterdata import`: one JSON line per file, exit status 1 when a file had errors."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from server.cli import build
from server.masterdata import service
from tests.integration.masterdata.conftest import DATA, Env


def run(env: Env, database_url: str, tmp_path: Path, *args: str) -> tuple[int, list[dict[str, object]]]:
    variables = {"STROOM_DATABASE_URL": database_url, "STROOM_INSTANCE_DIR": str(tmp_path)}
    result = CliRunner().invoke(build(), ["masterdata", "import", *args, "--environment", "main"], env=variables)
    return result.exit_code, [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_import_command_loads_the_files_and_reports_each(env: Env, database_url: str, tmp_path: Path) -> None:
    code, lines = run(env, database_url, tmp_path, "suppliers", str(DATA / "suppliers.csv"))
    summary = {key: value for key, value in lines[0].items() if key not in ("import_id", "rate")}
    assert code == 0 and len(lines) == 1 and summary == {
        "file": str(DATA / "suppliers.csv"), "kind": "suppliers", "status": "done", "created": 3, "updated": 0,
        "unchanged": 0, "refused": 0, "errors": [], "refused_rows": [], "error": None}  # fmt: skip
    env.session.expire_all()
    assert [s.code for s in service.list_suppliers(env.session, environment_id=env.id)] == ["S001", "S002", "S003"]


def test_import_command_fails_on_a_bad_file(env: Env, database_url: str, tmp_path: Path) -> None:
    code, lines = run(env, database_url, tmp_path, "suppliers", str(DATA / "suppliers_bad.csv"))
    assert code == 1 and lines[0]["created"] == 0 and len(lines[0]["errors"]) == 4  # type: ignore[arg-type]


def test_the_words_under_the_bar_say_the_counts_and_reasons_of_the_json_line(env: Env, database_url: str,
                                                                            tmp_path: Path) -> None:
    variables = {"STROOM_DATABASE_URL": database_url, "STROOM_INSTANCE_DIR": str(tmp_path)}
    result = CliRunner().invoke(build(), ["masterdata", "import", "suppliers", str(DATA / "suppliers_bad.csv"),
                                          "--environment", "main"], env=variables)
    summary = json.loads(result.stdout)
    assert (result.exit_code, summary["status"], summary["refused"], len(summary["errors"])) == (1, "refused", 3, 4)
    assert [row["line"] for row in summary["refused_rows"]] == [3, 4, 5]
    assert result.stderr.splitlines()[-4:] == [
        "suppliers_bad.csv: refused, 3 row(s) refused, nothing imported",
        "  line 3: name is required",
        "  line 4: country must be a two-letter ISO 3166 code; email is not an e-mail address",
        "  line 5: code repeats S010 of line 2"]
    code, lines = run(env, database_url, tmp_path, "suppliers", str(DATA / "suppliers.csv"))
    assert (code, lines[0]["created"], lines[0]["refused"]) == (0, 3, 0)
