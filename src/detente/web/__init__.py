"""`detente serve`: the JSON API and the web page, thin views over ``detente.api``."""
