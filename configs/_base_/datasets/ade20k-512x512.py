# ADE20K 512x512 (150 classes) with mmseg's pipeline; every mmskd ADE20K
# config inherits this next to a method and a teacher/student pair.
_base_ = ['mmseg::_base_/datasets/ade20k.py']
# mmseg's ADE20KDataset with its files and labels checked when it loads (a
# missing label map, label ids beyond the classes, labels that are all
# ignored fail before the first iteration; see
# mmskd/datasets/checked_datasets.py): it reads 16 label maps spread over
# each split, `check_labels='all'` reads every one.
dataset_type = 'CheckedADE20KDataset'
train_dataloader = dict(dataset=dict(type=dataset_type))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = val_dataloader
