"""The data contract the server and the desktop share; it imports neither of them."""
