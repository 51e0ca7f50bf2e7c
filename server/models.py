"""Imports every ORM module so Base.metadata is complete (Alembic and tests use this)."""
from server.audit import models as audit_models  # noqa: F401
from server.auth import models as auth_models  # noqa: F401
from server.batches import models as batch_models  # noqa: F401
from server.db import Base
from server.instances import models as instance_models  # noqa: F401
from server.invoices import models as invoice_models  # noqa: F401
from server.jobs import models as job_models  # noqa: F401
from server.masterdata import models as masterdata_models  # noqa: F401
from server.tasks import models as task_models  # noqa: F401

metadata = Base.metadata
