"""Shared event catalog, envelope, store, relay, consumer and projection runner."""
