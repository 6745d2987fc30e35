"""Test doubles shared by the rag tests: a small in-memory clause index and a local OpenAI-wire stub server."""
