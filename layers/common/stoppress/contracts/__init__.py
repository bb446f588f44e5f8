"""What the stages hand each other: table keys (``keys``), the push job (``jobs``), the
push payload (``payload``) and the engagement counters beside the delivery counts
(``engagement``). Pure data and rules, no AWS."""
