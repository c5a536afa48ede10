"""torch Datasets and LightningDataModules, one per modality."""
