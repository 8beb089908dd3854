"""Sharing badges with employers: share links, public badges, the public view, QR codes."""
