"""A participant's own access to the passport: personal link, PIN and e-mail sign-in links."""
