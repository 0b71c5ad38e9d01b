"""The written-out row statements now live in `project.rows` (contacts use them too); kept
here so that the channel layer's imports read as before."""

from __future__ import annotations

from project.rows import fetch_one, insert_row, save_fields, update_rows

__all__ = ["fetch_one", "insert_row", "save_fields", "update_rows"]
