"""The county (区县) tier over its townships: organisation, roles, departments (DESIGN §1, §2)."""
