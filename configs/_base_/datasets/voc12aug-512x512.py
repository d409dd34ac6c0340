# Pascal VOC 2012 with SBD's extra annotations ("trainaug", 10,582 images;
# 21 classes; val 1,449) at 512x512 crops with mmseg's pipeline: the
# thesis's VOC setting (CWD Table 4.7) and the KA paper's, mmseg's VOC aug
# model zoo's data. Every mmskd VOC config inherits this next to a schedule,
# a method and a pair.
_base_ = ['mmseg::_base_/datasets/pascal_voc12_aug.py']
# mmseg's PascalVOCDataset with its files and labels checked when it loads (a
# missing label map, label ids beyond the classes, labels that are all
# ignored fail before the first iteration; see
# mmskd/datasets/checked_datasets.py): it reads 16 label maps spread over
# each split, `check_labels='all'` reads every one.
dataset_type = 'CheckedPascalVOCDataset'
dataset_train = dict(type=dataset_type)
dataset_aug = dict(type=dataset_type)
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(_base_.dataset_train, type=dataset_type),
        dict(_base_.dataset_aug, type=dataset_type),
    ]))
val_dataloader = dict(dataset=dict(type=dataset_type))
test_dataloader = val_dataloader
