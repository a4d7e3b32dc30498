"""Sign-in through the marketplace's upstream OpenID Connect provider, and its back-channel
logout: discovery and keys (:mod:`.provider`), the code flow (:mod:`.flow`), validation of ID
tokens and logout tokens (:mod:`.id_tokens`). Protocol only: accounts and sessions are the
callers' business."""
