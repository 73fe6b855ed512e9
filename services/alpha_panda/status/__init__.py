"""`alpha-panda status`: one screen of a namespace's strategies, services and broker session."""
