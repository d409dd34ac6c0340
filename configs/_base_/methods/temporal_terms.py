# The flow source and the motion-guided temporal loss TL (eq. 5.1) shared by
# the video methods. The flow comes from torchvision's RAFT at training time
# only (the thesis: FlowNet2); without torchvision, precomputed files:
# flow_source = dict(type='PrecomputedFlow') with the dataset's
# data_prefix['flow_path'] (the sequence datasets' training pipelines
# resize, crop and flip the flow with the frames).
flow_source = dict(type='RAFTFlow', variant='large', weights='DEFAULT')
temporal_loss = dict(type='MotionGuidedTemporalLoss', loss_weight=0.1)  # λ
