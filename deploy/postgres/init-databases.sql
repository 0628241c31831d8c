-- One database per service on the shared PostgreSQL server (docker-compose.yml mounts this
-- into /docker-entrypoint-initdb.d, which runs it once on an empty data volume). Each service
-- creates its own tables with its Alembic migrations when it starts.
-- Kubernetes with several plants: one scheduler database per plant (mes_scheduler_<plant>,
-- dashes as underscores), created the same way; docs/deployment.md.
CREATE DATABASE mes_orders;
CREATE DATABASE mes_scheduler;
CREATE DATABASE mes_quality;
CREATE DATABASE mes_inventory;
