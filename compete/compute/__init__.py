"""Where fits run: here, one after another, or as tasks on a Dask cluster (``--cluster``)."""
