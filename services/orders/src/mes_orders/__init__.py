"""Orders service: production orders from ERP and CRM over REST."""
