# Search the auxiliary module of the demo's student on the generated scenes
# (tools/analysis_tools/search_aux.py): 64 structures, 8 per PPO update,
# each 50 iterations from a starting point of 200, on 80 of the 100
# labelled scenes, scored by mIoU on the other 20 (mmskd.search's
# SearchSettings has the controller's and PPO's settings).
_base_ = ['./pspnet_r18-d8_w8_aux-conv1x1_scenes-128x128.py']
search = dict(
    episodes=64,
    batch=8,
    warmup_iters=200,
    episode_iters=50,
    meta_val=0.2,
    metrics=['mIoU'])
