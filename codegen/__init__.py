"""Generates aioamqp/_generated/ from the AMQP spec XML (see `python -m codegen --help`)."""
