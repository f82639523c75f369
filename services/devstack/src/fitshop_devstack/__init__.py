"""fitshop's local stack tool: runs the real backing servers and the services on loopback."""
