"""The only package that imports SpiffWorkflow. Callers get Stroom's own types."""
from server.engine.migration import MigrationBlocker, activities
from server.engine.model import CompiledModel, checksum, compile_model
from server.engine.runtime import WorkflowRun
from server.engine.services import ServiceCall, ServiceInfo, ServiceParam, ServiceRegistry, describe
from server.engine.types import (
                                 Assignment,
                                 ElementState,
                                 EngineError,
                                 Failure,
                                 ModelError,
                                 MoveOutcome,
                                 PendingTimer,
                                 ScriptError,
                                 StepEvent,
                                 TaskNotReady,
                                 UserTaskInfo,
)

__all__ = [
                                 "Assignment",
                                 "CompiledModel",
                                 "ElementState",
                                 "EngineError",
                                 "Failure",
                                 "MigrationBlocker",
                                 "ModelError",
                                 "MoveOutcome",
                                 "PendingTimer",
                                 "ScriptError",
                                 "ServiceCall",
                                 "ServiceInfo",
                                 "ServiceParam",
                                 "ServiceRegistry",
                                 "StepEvent",
                                 "TaskNotReady",
                                 "UserTaskInfo",
                                 "WorkflowRun",
                                 "activities",
                                 "checksum",
                                 "compile_model",
                                 "describe",
]
