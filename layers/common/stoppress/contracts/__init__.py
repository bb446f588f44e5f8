"""What the stages hand each other: table keys (``keys``), the push job (``jobs``) and the
push payload (``payload``). Pure data and rules, no AWS."""
