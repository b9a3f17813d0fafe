"""Files to typed frames: reading and checking the data, schema inference, the target codec, the
prepared competition (``prepare_run``) and ``init``'s inference."""
