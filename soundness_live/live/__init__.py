"""The engine process: engine, commands, server, protocol, client, live input."""
