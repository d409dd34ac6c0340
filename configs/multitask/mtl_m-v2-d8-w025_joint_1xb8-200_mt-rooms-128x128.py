# "Joint" at the demo's scale: segmentation, depth and normals of the
# generated rooms on one MobileNetV2 (width 0.25) from scratch, the task
# losses summed with weight 1, 200 iterations of 8 images (the ablation
# tables' schedule). The rooms: tools/analysis_tools/ablation.py writes them,
# or mmskd.ablation.write_multi_task_rooms('data/mmskd_mt_rooms').
_base_ = [
    '../_base_/models/mtl_m-v2-d8_w025.py',
    '../_base_/datasets/mt-rooms-128x128.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/demo_200.py',
]
