# Copyright (c) mmskd contributors. All rights reserved.
