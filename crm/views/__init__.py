"""Pages of the customer app, one module per area: home, customers, cases, console."""
