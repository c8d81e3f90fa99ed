"""The workflow behind each command: it computes and writes files, and never prints."""
