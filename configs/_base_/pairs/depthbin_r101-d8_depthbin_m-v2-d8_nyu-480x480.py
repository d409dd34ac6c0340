# Teacher: ResNet-101-D8 + PSP depth-bin head; student: MobileNetV2-D8 (the
# paper's student backbone) + PSP depth-bin head; both mmskd's own NYU
# configs (configs/depth/), as the mm model zoo has no depth teacher. Train
# the teacher first:
#   python tools/train.py \
#       configs/depth/depthbin_r101-d8_4xb3-20k_nyu-480x480.py
# teacher_ckpt is its last checkpoint in tools/train.py's default work dir;
# pass another (e.g. best_rmse_iter_*.pth) as model.teacher_ckpt=PATH.
depth_configs = '{{fileDirname}}/../../depth/'
student = dict(cfg_path=depth_configs +
               'depthbin_m-v2-d8_4xb3-20k_nyu-480x480.py')
teacher = dict(
    cfg_path=depth_configs + 'depthbin_r101-d8_4xb3-20k_nyu-480x480.py',
    # The teacher's weights come from teacher_ckpt, not ImageNet.
    pretrained=None)
teacher_ckpt = 'work_dirs/depthbin_r101-d8_4xb3-20k_nyu-480x480/iter_20000.pth'
