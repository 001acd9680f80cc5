"""SSD300 as a detector: VOC data, augmentation, training, detection, VOC mAP, checkpoints."""
