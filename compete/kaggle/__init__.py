"""Kaggle: the client (upload, poll, fetch) and ``compete submit``'s flow around it."""
