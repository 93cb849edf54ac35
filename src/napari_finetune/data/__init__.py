"""Painted layers -> normalised planes, validation splits and training patches (no Qt)."""
