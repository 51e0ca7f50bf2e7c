"""A real `stroom run` process and the ways a designer's text reaches an evaluator.

The server runs as its own process (so a runaway evaluation shows as CPU the server keeps burning
after the request, and a crash as a dead process), on SQLite, with a generated secret key in its
instance directory. Two environments: `default` keeps Python scripts off; `scripted` has them on
(through the API an administrator uses). Each case deploys its own small model over HTTP as a
designer, starts it, completes its task as a user where the vector needs that, and reads the instance
back as an administrator. The five vectors of issue 17 get every payload; the other places a model
carries an expression (timers, due dates, candidate groups, multi-instance) get a few.
"""
from __future__ import annotations

import dataclasses
import http.client
import json
import os
import resource
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from server.auth import service as auth
from server.auth import tokens
from server.auth.actor import Actor
from server.host import open_host
from server.migrate import upgrade
from server.settings import Settings
from tests.security.escapes import Payload
from tests.support.paths import REPO

BIN = Path(sys.executable).parent
SERVER_MEMORY = 4 * 1024 ** 3  # RLIMIT_AS of the server process
REQUEST_TIMEOUT = 30
RESOURCE_TIMEOUT = 6  # the sandbox's wall limit is 2 s here: an answer later than this is a runaway
# what only a walk through Python's object graph puts into data or answers
PYTHON_INTERNALS = ("<class '", "<built-in function", "<module '", "<frame at", "<function ", "<generator object")
KINDS = ("script", "condition", "assignee", "dmn_cell", "form_condition")
# each kind in the environment with Python scripts off (`default`) and the one with them on (`scripted`)
VECTORS = tuple(f"{kind}-{setting}" for kind in KINDS for setting in ("off", "on"))
SURFACE_KINDS = ("timer", "due_date", "candidate_groups", "mi_collection", "mi_cardinality")
SURFACE_VECTORS = tuple(f"{kind}-{setting}" for kind in SURFACE_KINDS for setting in ("off", "on"))
ENVIRONMENTS = {"off": "default", "on": "scripted"}


@dataclasses.dataclass
class Outcome:
    payload: str
    vector: str
    kind: str  # refused | incident | ran | error | hung
    detail: str = ""
    escaped: list[str] = dataclasses.field(default_factory=list)
    health: str = ""  # set after resource attacks: "" when /healthz answered and the server went idle
    incident_elements: list[str] = dataclasses.field(default_factory=list)

    def describe(self) -> str:
        text = f"{self.payload} via {self.vector}: {self.kind} {self.detail[:300]}"
        if self.escaped:
            text += f" ESCAPED: {'; '.join(self.escaped)}"
        if self.health:
            text += f" HEALTH: {self.health}"
        return text


class Server:
    """One `stroom run` process with two environments, a designer, a user and an admin in each."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.instance = folder / "instance"
        self.canaries = folder / "canaries"
        self.canaries.mkdir(parents=True)
        self.secret = "corpus-secret-" + secrets.token_hex(16)
        self.instance.mkdir(parents=True)
        self.secret_path = self.instance / "secret_key"
        self.secret_path.write_text(self.secret)
        self.port = _free_port()
        self.tokens: dict[tuple[str, str], str] = {}
        self.settings_note = ""
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "server.log"

    # --- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        url = f"sqlite:///{self.folder / 'stroom.db'}"
        host = open_host(Settings(instance_dir=self.instance, database_url=url, secret_key=self.secret,
                                  testing=True, embedded_worker=False))
        try:
            upgrade(host.db.engine)
            with host.db.unit_of_work() as session:
                for env_name in ("default", "scripted"):
                    env = auth.ensure_environment(session, env_name)
                    system = Actor.system(env.id, "escape-corpus")
                    for login, roles in (("mallory", ("designer",)), ("ursula", ("user",)),
                                         ("root", ("admin",))):
                        user = auth.create_user(session, env.id, login, actor=system, roles=roles,
                                                password="corpus-password-1")
                        self.tokens[(env_name, login)] = tokens.create_token(session, user, actor=system)[1]
        finally:
            host.db.dispose()
        env = {k: v for k, v in os.environ.items() if not k.startswith("STROOM_")}
        env.update(STROOM_DATABASE_URL=url, STROOM_INSTANCE_DIR=str(self.instance), STROOM_EMBEDDED_WORKER="false",
                   STROOM_UBL_RULES="off", STROOM_LOG_LEVEL="WARNING", PYTHONPATH=str(REPO),
                   # the smallest useful limits keep the resource attacks quick; the mechanism is the same
                   STROOM_SCRIPT_CPU_SECONDS="1", STROOM_SCRIPT_WALL_SECONDS="2")
        self.env = env
        self._spawn()
        status, body = self.call("PUT", "/api/v1/environment/settings", ("scripted", "root"),
                                 {"python_scripts": True})
        if status != 200:
            self.settings_note = f"turning python_scripts on answered {status}: {body}"

    def _spawn(self) -> None:
        self.process = subprocess.Popen([str(BIN / "stroom"), "run", "--port", str(self.port)], cwd=self.folder,
                                        env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        # an escaped memory bomb fails in the server instead of taking the shared machine down
        resource.prlimit(self.process.pid, resource.RLIMIT_AS, (SERVER_MEMORY, SERVER_MEMORY))
        self._wait_healthy()

    def restart(self) -> None:
        """A fresh server process on the same database, after one that hung or died (so the next cases count)."""
        self.stop()
        self._spawn()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log.read_text()[-3000:]
            if self.health() == "":
                return
            time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()[-3000:]}")

    def health(self, timeout: float = 5) -> str:
        """'' when /healthz answers 200 within the timeout, else what went wrong."""
        if self.process is not None and self.process.poll() is not None:
            return f"the server process exited with {self.process.returncode}"
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            conn.request("GET", "/healthz")
            status = conn.getresponse().status
            conn.close()
            return "" if status == 200 else f"/healthz answered {status}"
        except OSError as exc:
            return f"/healthz: {type(exc).__name__}: {exc}"

    def busy_seconds(self, window: float = 0.4) -> float:
        """CPU seconds the server process itself (not its sandbox children) used during the window."""
        assert self.process is not None
        before = _cpu(self.process.pid)
        time.sleep(window)
        return _cpu(self.process.pid) - before

    # --- HTTP ---------------------------------------------------------------------------------
    def call(self, method: str, path: str, who: tuple[str, str], body: Any = None, *,
             timeout: float = REQUEST_TIMEOUT) -> tuple[int, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=None if body is None else json.dumps(body),
                         headers={"Authorization": f"Bearer {self.tokens[who]}", "Content-Type": "application/json"})
            response = conn.getresponse()
            raw = response.read()
            try:
                return response.status, json.loads(raw) if raw else None
            except ValueError:
                return response.status, raw.decode("utf-8", "replace")
        finally:
            conn.close()


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- models, one per case ----------------------------------------------------------------------
BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="Escape {key}" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    {body}
  </bpmn:process>
</bpmn:definitions>
"""
THEN_END = """<bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="attack" />
    <bpmn:sequenceFlow id="f2" sourceRef="attack" targetRef="end" />"""

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="attack_defs" name="Attack"
  namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="attack_decision" name="Attack">
    <decisionTable id="table" hitPolicy="FIRST">
      <input id="in1" label="x"><inputExpression id="ie1" typeRef="number"><text>x</text></inputExpression></input>
      <output id="out1" name="result" typeRef="string" />
      <rule id="rule1">
        <inputEntry id="r1i"><text>-</text></inputEntry>
        <outputEntry id="r1o"><text>{cell}</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


def model(payload: Payload, vector: str, key: str, *, canary: str, secret: str) -> dict[str, Any]:
    """The deploy body that puts the payload where the vector evaluates it."""
    expression = payload.render(payload.text(expression=True), canary=canary, secret=secret)
    vector = vector.split("-")[0]
    if vector == "script":
        script = payload.render(payload.text(expression=False), canary=canary, secret=secret)
        if payload.language == "feel":
            task = (f'<bpmn:scriptTask id="attack" name="Attack"><bpmn:extensionElements><zeebe:script expression='
                    f'{quoteattr("=" + script)} resultVariable="result" /></bpmn:extensionElements>'
                    f'<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:scriptTask>')
        else:
            task = (f'<bpmn:scriptTask id="attack" name="Attack" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming>'
                    f'<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>')
        return {"bpmn": {"attack.bpmn": BPMN.format(key=key, body=task + THEN_END)}}
    if vector == "condition":
        body = f"""<bpmn:exclusiveGateway id="attack" name="Attack" default="f_no"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="yes"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="no"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="attack" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="attack" targetRef="yes">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(_marked(payload, expression))}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="attack" targetRef="no" />"""
        return {"bpmn": {"attack.bpmn": BPMN.format(key=key, body=body)}}
    if vector == "assignee":
        assignee = quoteattr(_juel(payload, expression))
        task = (f'<bpmn:userTask id="attack" name="Attack" camunda:assignee={assignee}>'
                f'<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>')
        return {"bpmn": {"attack.bpmn": BPMN.format(key=key, body=task + THEN_END)}}
    if vector == "dmn_cell":
        task = ('<bpmn:businessRuleTask id="attack" name="Attack" camunda:decisionRef="attack_decision">'
                '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:businessRuleTask>')
        return {"bpmn": {"attack.bpmn": BPMN.format(key=key, body=task + THEN_END)},
                "dmn": {"attack.dmn": DMN.format(cell=escape(expression))}}
    if vector in SURFACE_TASKS:
        task = SURFACE_TASKS[vector].format(expr=escape(_marked(payload, expression)),
                                            attr=quoteattr(_juel(payload, expression)))
        return {"bpmn": {"attack.bpmn": BPMN.format(key=key, body=task + THEN_END)}}
    assert vector == "form_condition", vector
    task = ('<bpmn:userTask id="attack" name="Attack" camunda:assignee="ursula" camunda:formKey="stroom:attack_form">'
            '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>')
    form = {"id": "attack_form", "type": "default", "components": [
        {"id": "note", "key": "note", "type": "textfield", "label": "Note",
         "conditional": {"hide": "=" + expression}}]}
    return {"bpmn": {"attack.bpmn": BPMN.format(key=key, body=task + THEN_END)},
            "forms": {"attack_form.form": json.dumps(form)}}


# The other places a model carries an expression (issue 17 point 1), tried with a few payloads only.
SURFACE_TASKS = {
    "timer": '<bpmn:intermediateCatchEvent id="attack" name="Attack"><bpmn:incoming>f1</bpmn:incoming>'
             '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:timerEventDefinition id="t1"><bpmn:timeDuration '
             'xsi:type="bpmn:tFormalExpression">{expr}</bpmn:timeDuration></bpmn:timerEventDefinition>'
             '</bpmn:intermediateCatchEvent>',
    "due_date": '<bpmn:userTask id="attack" name="Attack" camunda:assignee="ursula" camunda:dueDate={attr}>'
                '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>',
    "candidate_groups": '<bpmn:userTask id="attack" name="Attack" camunda:candidateGroups={attr}>'
                        '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>',
    "mi_collection": '<bpmn:userTask id="attack" name="Attack" camunda:assignee="ursula"><bpmn:incoming>f1'
                     '</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics '
                     'camunda:collection={attr} camunda:elementVariable="item" /></bpmn:userTask>',
    "mi_cardinality": '<bpmn:userTask id="attack" name="Attack" camunda:assignee="ursula"><bpmn:incoming>f1'
                      '</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics>'
                      '<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">{expr}</bpmn:loopCardinality>'
                      '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>',
}


def _juel(payload: Payload, expression: str) -> str:
    """Attribute expressions as the modelers write them: `=FEEL` (Camunda 8) or `${...}` (Camunda 7)."""
    return "=" + expression if payload.language == "feel" else "${" + expression + "}"


def _marked(payload: Payload, expression: str) -> str:
    """Conditions as the modelers write them: Camunda 8 marks FEEL with `=`, Camunda 7 Python is bare."""
    return "=" + expression if payload.language == "feel" else expression


# --- one case -----------------------------------------------------------------------------------
def run_case(server: Server, payload: Payload, vector: str, number: int) -> Outcome:
    """Deploy, start, complete where needed, read back; then look for the canary and the secret."""
    env = ENVIRONMENTS[vector.split("-")[1]]
    designer, user, admin = (env, "mallory"), (env, "ursula"), (env, "root")
    canary = server.canaries / f"{payload.name}--{vector}"
    key = f"escape_{number}"
    outcome = Outcome(payload.name, vector, "error")
    try:
        _drive(server, payload, vector, key, canary, designer, user, admin, outcome)
    except (TimeoutError, OSError) as exc:
        outcome.kind, outcome.detail = "hung", f"{type(exc).__name__}: {exc}"
    if canary.exists():
        outcome.escaped.append(f"the canary {canary.name} exists, holding {canary.read_text()[:60]!r}")
    if server.secret in outcome.detail:
        outcome.escaped.append("the secret key is in the answers or the instance")
    internals = [m for m in PYTHON_INTERNALS if m in outcome.detail] if outcome.kind != "refused" else []
    if internals:
        outcome.escaped.append(f"Python internals reached the answers or the instance: {internals}")
    return outcome


def _drive(server: Server, payload: Payload, vector: str, key: str, canary: Path, designer: tuple[str, str],
           user: tuple[str, str], admin: tuple[str, str], outcome: Outcome) -> None:
    body = model(payload, vector, key, canary=str(canary), secret=str(server.secret_path))
    limit = RESOURCE_TIMEOUT if payload.resource else REQUEST_TIMEOUT
    status, answer = server.call("POST", f"/api/v1/models/{key}/deploy", designer, body, timeout=limit)
    if status == 422:
        outcome.kind, outcome.detail = "refused", json.dumps(answer)
        return
    if status != 201:
        outcome.kind, outcome.detail = "error", f"deploy answered {status}: {answer}"
        return
    status, started = server.call("POST", "/api/v1/process-instances", designer,
                                  {"model": key, "data": {"x": 1, "box": []}}, timeout=limit)
    if status != 201:
        outcome.kind, outcome.detail = "error", f"start answered {status}: {started}"
        return
    instance_id = started["id"]
    texts = [json.dumps(started)]
    if vector.startswith("form_condition"):
        status, listing = server.call("GET", "/api/v1/tasks?limit=100", user)
        task = next((t for t in (listing or {}).get("tasks", []) if t.get("instance_id") == instance_id), None)
        if task is not None:
            status, done = server.call("POST", f"/api/v1/tasks/{task['id']}/complete", user,
                                       {"data": {"note": "hello"}}, timeout=limit)
            texts.append(f"complete answered {status}: {json.dumps(done)}")
    status, view = server.call("GET", f"/api/v1/process-instances/{instance_id}", admin)
    texts.append(json.dumps(view))
    state = (view or {}).get("status") if status == 200 else None
    incidents = [i.get("error") for i in (view or {}).get("incidents", [])] if status == 200 else []
    outcome.detail = " | ".join(texts)
    outcome.incident_elements = [str(i.get("element_id")) for i in (view or {}).get("incidents", [])] \
        if status == 200 else []
    if incidents or state == "incident":
        outcome.kind, outcome.detail = "incident", f"{incidents} || {outcome.detail}"
    elif state in ("completed", "running"):
        outcome.kind = "ran"  # the instance took the text and moved on (finished, or waits at its task)
    elif state is not None:
        outcome.kind = f"accepted ({state})"
