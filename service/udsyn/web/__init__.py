"""The web service: SPARQL endpoint, named questions and the query page."""
