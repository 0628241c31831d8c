"""Quality service: inspections, nonconformances, dispositions, SPC."""
