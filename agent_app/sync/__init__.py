"""The central-server client: sign-in, delta pulls, outbox pushes, connectivity."""
