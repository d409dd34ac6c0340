# The pair of the ablation table `depth`: the depth teacher and student of
# configs/ablation/ on the generated rooms. There is no model-zoo teacher:
# tools/analysis_tools/ablation.py trains it and passes its checkpoint as
# --cfg-options model.teacher_ckpt=PATH.
student = dict(cfg_path='{{fileDirname}}/../../ablation/'
               'depthbin_r18-d8_w8_1xb8-150_rooms-128x128.py')
teacher = dict(cfg_path='{{fileDirname}}/../../ablation/'
               'depthbin_r101-d8_w16_rooms-128x128.py')
teacher_ckpt = None
