"""CLR 2.0 export of a participant's whole passport."""
