"""`detente serve`: the JSON API and the web page (issue 5), thin views over ``detente.api``."""
