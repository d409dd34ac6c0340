# COCO 2017 detection with mmdet's single-scale pipeline (1333x800) and
# CocoMetric (bbox) on val2017; every mmskd COCO config inherits this (or
# coco-detection-ms-640-800.py, its multi-scale training) next to a method
# and a teacher/student pair.
_base_ = ['mmdet::_base_/datasets/coco_detection.py']
