"""Pure planning engine: model, incremental repair, CP-SAT improver, feasibility checker."""
