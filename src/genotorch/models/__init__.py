"""Plain ``nn.Module`` architectures and a registry by name; no training code here."""
