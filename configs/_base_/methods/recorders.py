# The modules the segmentation methods record, the same in student and
# teacher: the score map (`logits`, the output of conv_seg) and the fused
# head feature (`feature`, the feature conv_seg classifies, before its
# dropout: the PSP/ASPP heads' `bottleneck`; leaf configs set another
# source from their pair base's
# `feature_source`, e.g. DeepLabV3+'s `decode_head.sep_bottleneck`).
# Variables, for the method bases to place in their recorders.
logits_recorder = dict(type='ModuleOutputs', source='decode_head.conv_seg')
feature_recorder = dict(type='ModuleOutputs', source='decode_head.bottleneck')
