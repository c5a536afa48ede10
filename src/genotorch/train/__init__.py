"""The training harness shared by every modality: LightningModule, callbacks, curves."""
