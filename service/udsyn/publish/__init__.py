"""Publication: a release of the store's graph with its DCAT-AP catalogue and VoID, and the
check of that catalogue against the official DCAT-AP shapes."""
