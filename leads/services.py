"""Lead use cases (writes). Every path that creates or changes a lead calls one function here."""
