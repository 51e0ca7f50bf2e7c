"""Batches: one administrative verb applied to many process instances chosen by a filter, in the background."""
