"""What runs the queries: worker processes, each sandboxed, behind one pool."""
